import sys

from healthaid.cli import main

sys.exit(main())
