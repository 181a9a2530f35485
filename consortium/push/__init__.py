"""Scheduled personalized push (selective dissemination of information): services, planning, delivery."""
