"""Helper: prints how to run the legacy model tests. No model test in here."""
import argparse
import glob


def main():
    parser = argparse.ArgumentParser(description="Run legacy Hugging Face model tests")
    parser.add_argument("--list", action="store_true", help="list the test files")
    args = parser.parse_args()
    if args.list:
        for name in sorted(glob.glob("test_hf_*.py")):
            print(name)


if __name__ == "__main__":
    main()
