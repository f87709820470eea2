"""The Route 53 REST API beside the admin API: version 2013-04-01, protocol rest-xml.

Everything here is driven by botocore's own service model for route53, the one boto3 and the AWS
CLI build their requests from, so r53emu and its clients read the same definitions:
`servicemodel` loads it once and routes (method, path) to an operation, `xmlread` reads request
bodies with a hardened parser, and `restxml` turns a request into the parameters a boto3 user
passed and a result into the response botocore parses back. All of it is pure: functions of
values, no sockets.
"""
