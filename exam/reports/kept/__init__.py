"""Tables kept for the reports (candidacies, rosters, latest results, hours on site), updated
from the signals of the features that own the data; never written by a report page."""
