from r53emu.cli import main

raise SystemExit(main())
