"""Cases (办件): applications, the guarded state machine, ratings and supervision."""
