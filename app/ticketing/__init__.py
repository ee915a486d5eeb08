"""Ticketing systems (Jira, ServiceNow): clients, and the outbox that queues ticket writes."""
