from govplatform.cli import main

main()
