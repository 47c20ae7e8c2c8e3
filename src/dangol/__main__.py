from dangol.cli import main

main()
