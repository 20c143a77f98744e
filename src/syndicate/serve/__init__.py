"""The Build over HTTP, kept current: the app, the server, the schedule, metrics, WebSub."""
