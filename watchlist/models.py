"""Named watchlists: built in a later issue; the app exists so its migrations start from day one."""
