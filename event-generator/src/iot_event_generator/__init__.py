"""A simulated fleet of IoT devices that produces events to Kafka or a file and
reports, as ground truth, which devices fell silent and when."""

__version__ = "0.1.0"
