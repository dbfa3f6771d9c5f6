"""The Kafka settings of the Python clients (the monitor's and the event generator's):
the Java clients' words made into librdkafka's (`config`), truststores read (`truststores`)."""
