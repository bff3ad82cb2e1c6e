"""`ldnn`'s exit statuses beyond 0 (clean), 1 (errors in a spec) and 2 (usage), kept where the
command line can read them before anything heavy loads."""

import signal

INTERNAL_ERROR_STATUS = 70  # EX_SOFTWARE: a bug in ldnn
INTERRUPTED_STATUS = 128 + int(signal.SIGINT)  # the shell's exit status for a process that Ctrl-C ended
TERMINATED_STATUS = 128 + int(signal.SIGTERM)  # and for one that SIGTERM ended
