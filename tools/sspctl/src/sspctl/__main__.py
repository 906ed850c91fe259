from sspctl.cli import main

main()
