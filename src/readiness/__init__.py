"""Readiness: could a police force cope with a multi-site armed attack?"""
__version__ = "0.1.0"
