"""The `ldnn` command line, one module per subcommand."""
