\echo Use "CREATE EXTENSION campaigns" to load this file. \quit
