from ldnn_dsl.cli import entry

entry()
