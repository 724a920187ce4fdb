# The service image. Against Neo4j (docker-compose.yml) or, with no REFGRAPH_GRAPH_URL, on
# the embedded engine with its data in /data.
FROM python:3.11-slim
WORKDIR /srv/refgraph
COPY pyproject.toml README.md ./
COPY app ./app
COPY cypher ./cypher
COPY migrations ./migrations
COPY scripts ./scripts
RUN pip install --no-cache-dir -e .
ENV REFGRAPH_GRAPH_URL=embedded:/data REFGRAPH_HOST=0.0.0.0
VOLUME /data
EXPOSE 8000
CMD ["refgraph", "serve"]
