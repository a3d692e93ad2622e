"""The `zoom-activity-logs` command: the collector's commands joined with the content
kit (`hunt`, `demo`) and the emulator (`emulator`, `collect --emulated`)."""
