import sys

from iot_event_generator.cli import main

sys.exit(main())
