"""Collection: a demo web shop to crawl, a static crawler (Python), a dynamic crawler
(JavaScript, supervised from Python), fan-out on Dask, coordination and landing."""
