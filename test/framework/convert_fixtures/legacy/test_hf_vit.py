"""Legacy vit test, mis-indented, using only from_pretrained."""
from transformers import ViTForImageClassification, ViTImageProcessor

def test_vit():
    processor = ViTImageProcessor.from_pretrained("google/vit-base-patch16-224")
        model = ViTForImageClassification.from_pretrained("google/vit-base-patch16-224")
    inputs = processor(images=image, return_tensors="pt")
  TASK = "image-classification"
