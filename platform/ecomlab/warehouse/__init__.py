"""The Hive warehouse on Spark: sessions, databases, and the ods -> dwd -> dws -> ads layers."""
