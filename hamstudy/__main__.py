from hamstudy.cli import main
raise SystemExit(main())
