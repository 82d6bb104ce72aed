"""The demo web shop: server-rendered and browser-rendered pages built from the simulator's catalog."""
