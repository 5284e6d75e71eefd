"""清单 spreadsheets: the lists a 民政 office publishes as tables, into a draft pack and back out."""
