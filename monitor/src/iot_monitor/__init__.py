"""IoT device monitor: raises an alert for every device that fell silent."""
