"""Use cases. Each is one function with keyword-only arguments that owns its transaction
(`pool.acquire()` + `conn.transaction()`), calls domain rules and stores, and records events."""
