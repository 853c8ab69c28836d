"""Fixes: named actions the graph and the fix plans refer to. Importing vescdoctor.fixes.registry gives the names."""
