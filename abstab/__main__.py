from abstab.cli import main

main()
