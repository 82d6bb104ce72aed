"""Mining: association rules, user behaviour, recommendation, segmentation, lifetime value
and real-time indicators. One module per method; results go to ADS tables and the mart."""
