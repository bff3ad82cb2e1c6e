import sys

from ldnn_dsl.cli import main

sys.exit(main())
