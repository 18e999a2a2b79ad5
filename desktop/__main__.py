"""`python -m desktop` behaves exactly like the `berth` command."""

import sys

from desktop.app import main

sys.exit(main())
