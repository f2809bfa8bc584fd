"""The core's numbered migrations. Each module freezes the tables it creates; none imports live models."""
