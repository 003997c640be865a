"""The fictional company "Northwind Ledger": its facts, and one builder module per host of its web site.

`techscaniq.demo.site.build_site()` puts them together; `techscaniq.demo.hosts` registers extra hosts.
"""
