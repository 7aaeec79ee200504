"""Mail coming in: folder sync (one transaction per message), the pipeline with its
`Work`, its exceptions, `STEPS` and the loop, the steps themselves (steps.py), what the
pipeline is given and hands on (work.py), and the operators' mail commands.

May import: adapters, rules, cases, outbound, duties (ping replies), store, process.clock,
parsers, models, config.
"""
