"""Thin Scrapy adapters around the pure core."""
