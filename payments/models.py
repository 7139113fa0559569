"""PortOne top-ups: built in a later issue; the app exists so its migrations start from day one."""
