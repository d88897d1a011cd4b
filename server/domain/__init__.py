"""Pure rules and models. Nothing here imports aiohttp, asyncpg, pymongo or socketio."""
