-- Docker Compose only: the registry keeps its schemas in its own database beside the joint view.
CREATE DATABASE registry OWNER casesync;
