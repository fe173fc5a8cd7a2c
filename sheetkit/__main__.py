from sheetkit.cli import main

# The guard matters: `cohort --jobs N` starts worker processes that import this module.
if __name__ == "__main__":
    main()
