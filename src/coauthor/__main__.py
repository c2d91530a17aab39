from coauthor.cli import main

main()
