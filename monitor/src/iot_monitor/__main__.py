import sys

from iot_monitor.cli import main

sys.exit(main())
