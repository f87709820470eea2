"""Tests of the Route 53 REST API room: the model, the route table, the XML reader, rest-xml."""
