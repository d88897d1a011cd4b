"""Use cases. Each is one function with keyword-only arguments; a mutating one runs in one unit
of work (`unit_of_work.py`: its transaction, its events, its audit records), a reading one on a
plain `pool.acquire()`. It calls domain rules and stores."""
