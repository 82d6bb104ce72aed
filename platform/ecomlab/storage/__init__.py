"""The lake: a file system (local or HDFS) and its raw zone."""
