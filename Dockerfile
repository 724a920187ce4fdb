# The service image: the wheel, built in a first stage and installed in the second (no
# source tree in the image; the queries, migrations and seed plan ship inside the wheel).
# Against Neo4j (docker-compose.yml) or, with no REFGRAPH_GRAPH_URL, on the embedded engine
# with its data in /data. `refgraph serve` refuses to start without REFGRAPH_API_KEYS:
#   docker run -e REFGRAPH_API_KEYS="$(openssl rand -hex 24)=admin" -p 8000:8000 IMAGE
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY cypher ./cypher
COPY migrations ./migrations
COPY examples ./examples
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
ENV REFGRAPH_GRAPH_URL=embedded:/data REFGRAPH_HOST=0.0.0.0
VOLUME /data
WORKDIR /srv/refgraph
EXPOSE 8000
CMD ["refgraph", "serve"]
