"""Mail coming in: folder sync (one transaction per message), the pipeline with its
`Work`, its exceptions, `STEPS` and the loop, and the operators' mail commands.

May import: adapters, rules, cases, outbound, duties (ping replies), store, process.clock,
parsers, models, config.
"""
