"""Azure Blob Storage peer: Microsoft's own client (azure-storage-blob) against the account
that AZURE_STORAGE_CONNECTION_STRING names (Azurite in the tests).

    azure_blob.py container NAME             makes a container
    azure_blob.py put CONTAINER BLOB FILE    uploads FILE as BLOB
    azure_blob.py get CONTAINER BLOB FILE    downloads BLOB into FILE
    azure_blob.py list CONTAINER             prints the container's blob names, one a line
    azure_blob.py sas CONTAINER              prints a shared access signature for the
                                             container (read, write, list, delete; an hour)
"""
import datetime
import os
import sys

from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas


def main():
    service = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
    command, container, *rest = sys.argv[1:]
    if command == "container":
        service.create_container(container)
    elif command == "put":
        blob, path = rest
        with open(path, "rb") as file:
            service.get_blob_client(container, blob).upload_blob(file, overwrite=True)
    elif command == "get":
        blob, path = rest
        with open(path, "wb") as file:
            file.write(service.get_blob_client(container, blob).download_blob().readall())
    elif command == "list":
        for blob in service.get_container_client(container).list_blobs():
            print(blob.name)
    elif command == "sas":
        print(generate_container_sas(
            service.account_name,
            container,
            account_key=service.credential.account_key,
            permission=ContainerSasPermissions(read=True, write=True, list=True, delete=True, create=True, add=True),
            expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1),
        ))
    else:
        raise SystemExit(f"unknown command {command}")


main()
