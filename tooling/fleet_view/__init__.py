"""The live fleet view: a small web app that reads only the job's outputs (read-only) and pushes
them to a browser page over server-sent events. Never shipped to Managed Flink.

    data.py    the data layer: DynamoDB tables, the alert stream, the dead-letter bucket, job status
    hub.py     one poller per server: diffs what the data layer reads and fans it out to browsers
    server.py  the Starlette app (page, static files, /events) and the command line
    live.py    `make run ARGS=--live`: simulator + job on moto + this page until Ctrl-C
    static/    the page: plain HTML, CSS, JavaScript and SVG, nothing fetched from elsewhere

docs/fleet-view.md says how to run it and what each panel reads.
"""
