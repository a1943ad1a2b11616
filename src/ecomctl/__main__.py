from ecomctl.cli import main

main()
