"""Reference implementations: sans-IO protocol cores with thin asyncio shells."""
